"""bot.server."""
