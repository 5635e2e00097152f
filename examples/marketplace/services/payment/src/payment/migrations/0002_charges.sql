-- What the provider said about each payment.
ALTER TABLE payments
    ADD COLUMN status TEXT NOT NULL DEFAULT 'PENDING'
        CHECK (status IN ('PENDING', 'SUCCEEDED', 'FAILED', 'REFUNDED')),
    ADD COLUMN provider_charge_id TEXT UNIQUE,
    ADD COLUMN failure_reason TEXT,
    ADD COLUMN buyer_email TEXT;
CREATE INDEX payments_order_idx ON payments (order_id);
