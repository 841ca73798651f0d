"""One module per page area; each exposes `router` (an APIRouter with `dependencies=[Csrf]`)."""
