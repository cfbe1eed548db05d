"""The digest's defaults, apart from bot.digest.service so the command line can show them without loading aiohttp."""

DEFAULT_TIME = "09:00"
DEFAULT_TZ = "Europe/Brussels"
