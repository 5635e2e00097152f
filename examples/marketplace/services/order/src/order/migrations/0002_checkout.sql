-- Checkout: the order lifecycle, order lines, carts, and a projection of the catalog's products.
ALTER TABLE orders
    ADD COLUMN status TEXT NOT NULL DEFAULT 'PENDING'
        CHECK (status IN ('PENDING', 'PAID', 'CANCELLED', 'SHIPPED')),
    ADD COLUMN buyer_email TEXT,
    ADD COLUMN status_reason TEXT;
CREATE INDEX orders_buyer_idx ON orders (buyer_id, created_at);

-- Products as the catalog announced them (product-events); version orders the events.
CREATE TABLE products (
    id UUID PRIMARY KEY,
    seller_id UUID NOT NULL,
    name TEXT NOT NULL,
    price NUMERIC(12, 2) NOT NULL,
    currency TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT true,
    version INTEGER NOT NULL
);

CREATE TABLE order_lines (
    order_id UUID NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    product_id UUID NOT NULL,
    seller_id UUID NOT NULL,
    name TEXT NOT NULL,
    unit_price NUMERIC(12, 2) NOT NULL,
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (order_id, product_id)
);

CREATE TABLE cart_items (
    buyer_id UUID NOT NULL,
    product_id UUID NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    added_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (buyer_id, product_id)
);
