"""Project commands (``COMMANDS_MODULE``): override Scrapy's built-in ones by module name."""
