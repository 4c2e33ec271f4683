-- English names of regions (for English output); seeded for the built-in Ningbo codes.
ALTER TABLE region ADD COLUMN IF NOT EXISTS name_en VARCHAR;
