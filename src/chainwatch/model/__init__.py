"""Domain records and codes: USCC, regions, industries, HS, periods, units, size classes."""
