"""Message catalogue shards: each module defines ``MESSAGES = {key: (zh, en)}``."""
