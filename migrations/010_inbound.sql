-- Mail that reached a case's signed reply address: what it was taken as
-- (reply, auto_reply, bounce, unverified_reply, follow_up) or, not taken,
-- why not. Mail that changes nothing on the case (an expired address, a
-- stranger writing to a closed case) is kept here rather than lost. A
-- message taken once for a case (by its Message-ID, hashed) is taken once:
-- SendGrid's retries of it answer as the first post did.
CREATE TABLE inbound_mail (
    id           bigserial PRIMARY KEY,
    case_id      text NOT NULL,
    message_key  text NOT NULL DEFAULT '',
    sender       text NOT NULL,
    subject      text NOT NULL,
    taken_as     text NOT NULL,
    result_case  text NOT NULL DEFAULT '',
    reason       text NOT NULL DEFAULT '',
    received_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX inbound_mail_case_idx ON inbound_mail (case_id, received_at);
CREATE UNIQUE INDEX inbound_mail_taken_idx ON inbound_mail (case_id, message_key)
    WHERE message_key <> '' AND taken_as <> 'not_taken';
