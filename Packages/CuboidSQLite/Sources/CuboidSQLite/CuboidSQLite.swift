// The embedded SQLite database Cuboid keeps its QA history in: GRDB (groue/GRDB.swift), re-exported
// unchanged. `import CuboidSQLite` gives GRDB's API; this package adds no code of its own.
@_exported import GRDB
