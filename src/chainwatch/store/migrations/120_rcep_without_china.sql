-- Issue 17: China is an RCEP signatory but never a partner of the city's own trade
-- (classifications.md §5.1: "for China's own trade, the partner set is the 14 members other than CHN").
-- The shipped default group no longer lists CHN; remove it from databases seeded before.
DELETE FROM partner_group WHERE group_id = 'rcep' AND member = 'CHN';
