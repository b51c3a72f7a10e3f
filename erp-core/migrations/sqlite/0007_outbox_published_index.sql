-- The relay's purge looks for events published before a cutoff; without an index it read the
-- whole outbox (a week of events by default) every minute. Partial, like the index on unpublished
-- events: each event is in exactly one of the two.

CREATE INDEX IF NOT EXISTS outbox_events_published_idx
    ON outbox_events (published_at) WHERE published_at IS NOT NULL;
