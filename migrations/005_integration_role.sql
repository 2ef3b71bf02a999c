-- Integration users: the billing system records customers, payments and
-- invoices with its own API key; it does not work cases.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('agent', 'supervisor', 'admin', 'integration'));
