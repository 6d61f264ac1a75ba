"""Golden Block Kit answers and the sample results they are rendered from."""
