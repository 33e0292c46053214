-- Events meant for named users (a notification, an invitation): audience 'users', with the
-- user ids here. Delivery still checks the case, when the event has one.
ALTER TABLE events ADD COLUMN audience_users TEXT NOT NULL DEFAULT '';
