-- Send attempts (see docs/schema.md): set just before the dispatcher calls Meta, cleared
-- when Meta definitely did not take the message. A pending message whose marker is set
-- when a dispatcher picks it up was interrupted mid-send: it is never sent again, only
-- reconciled through the status webhook (biz_opaque_callback_data) or failed.
ALTER TABLE messages ADD COLUMN dispatch_started_at timestamptz;
