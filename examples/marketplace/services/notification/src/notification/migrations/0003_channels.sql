-- SMS and push beside e-mail: the channels each user chose per event type, their phone number,
-- their browsers' push subscriptions, and one delivery record per (event, channel, address):
-- its primary key is what keeps a message from going out twice for one event.
CREATE TABLE notification_preferences (
    user_email TEXT PRIMARY KEY,  -- lower case; events name their recipient by e-mail
    phone_number TEXT,  -- E.164
    channels JSONB NOT NULL DEFAULT '{}'::jsonb,  -- {"order.order.paid": ["email", "sms"]}
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE push_subscriptions (
    endpoint TEXT PRIMARY KEY,
    user_email TEXT NOT NULL,
    p256dh TEXT NOT NULL,
    auth TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX push_subscriptions_user_idx ON push_subscriptions (user_email);
CREATE TABLE deliveries (
    event_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    address TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('sending', 'sent', 'failed', 'gone')),
    attempts INT NOT NULL DEFAULT 1,
    error TEXT,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, channel, address)
);
