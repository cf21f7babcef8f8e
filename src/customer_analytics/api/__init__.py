"""Read-only HTTP API for CRM apps over the published warehouse (docs/api.md): FastAPI on
uvicorn, `ca-serve` / `make serve`."""
