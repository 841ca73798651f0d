"""Call scenarios: the script a call follows (actions, personalised fields, voice, dialling defaults),
its review flow, and the frozen `Script` snapshots the dialer runs (CONTRACT §3)."""
