-- Who has taken part in a case (the recipients of a case message's notice, and of a lost
-- access's) is asked per user: "has this user written in the case?". With only
-- (case_id, created_at) that walked every message of the case for every user of the
-- organisations asked, so each message written made the next one slower.
CREATE INDEX case_messages_author_idx ON case_messages (case_id, author_user_id);
CREATE INDEX inquiry_posts_author_idx ON inquiry_posts (inquiry_id, author_user_id);
