-- Evidence of an alert (CONTRACT.md §7, GET /api/alerts/:id/evidence): what the rules saw when
-- they raised it. Recorded on the 'raised' and 'occurrence' (and a new occurrence's 'severity')
-- events: the rule's parameters in force, the episode's start and the evidence's time, the value
-- and threshold, the deciding device. Null on every other event and on events older than this
-- migration (the evidence then says the parameters were not recorded).
ALTER TABLE alert_events ADD COLUMN evidence jsonb;
