"""Stage 4, execute: the engine that runs a plan attempt by attempt, with admission,
breakers, retries, streaming, outcomes and health checks."""
