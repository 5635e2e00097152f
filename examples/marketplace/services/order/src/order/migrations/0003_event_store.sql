-- Event store: every order is a stream of events, appended only; orders and order_lines are its
-- projection (rebuilt from here by `python -m order replay`). Optimistic concurrency: a writer
-- appends version = the version it read + 1, and (stream_id, version) is unique.
CREATE TABLE order_events (
    seq BIGSERIAL PRIMARY KEY,
    stream_id UUID NOT NULL,
    version INTEGER NOT NULL CHECK (version > 0),
    event_id UUID NOT NULL UNIQUE,
    type TEXT NOT NULL,
    time TIMESTAMPTZ NOT NULL,
    data JSONB NOT NULL,
    UNIQUE (stream_id, version)
);

-- Append only: no UPDATE or DELETE of a recorded event.
CREATE FUNCTION order_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'order_events is append-only';
END $$;
CREATE TRIGGER order_events_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON order_events
    FOR EACH STATEMENT EXECUTE FUNCTION order_events_append_only();

-- The generated admin API (/orders) writes the projection itself and publishes
-- order.created|updated|deleted with the order's state: those events enter the stream here, in
-- the same transaction (the domain's own events are appended by eventstore.append first).
CREATE FUNCTION order_events_from_admin_api() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    event JSONB := convert_from(NEW.payload, 'UTF8')::jsonb;
    kind TEXT := event->>'type';
BEGIN
    IF kind NOT IN ('marketplace.order.order.created', 'marketplace.order.order.updated',
                    'marketplace.order.order.deleted')
       OR EXISTS (SELECT 1 FROM order_events WHERE event_id = NEW.id) THEN
        RETURN NEW;
    END IF;
    INSERT INTO order_events (stream_id, version, event_id, type, time, data) VALUES (
        (event->>'subject')::uuid,
        (event->'data'->>'version')::int
            + CASE WHEN kind = 'marketplace.order.order.deleted' THEN 1 ELSE 0 END,
        NEW.id, kind, (event->>'time')::timestamptz, event->'data');
    RETURN NEW;
END $$;
CREATE TRIGGER order_events_from_admin_api AFTER INSERT ON outbox
    FOR EACH ROW WHEN (NEW.topic = 'order-events') EXECUTE FUNCTION order_events_from_admin_api();
