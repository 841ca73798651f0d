from aicall.cli import main

main()
