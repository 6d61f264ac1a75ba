"""napkin's configuration: catalog data (``config/data/*.toml``), its loader, and settings."""
