"""What neoclone remembers: the `EngineState` / `ScanCache` protocols, the embedded SQLite
store and the choice of a shared one."""
