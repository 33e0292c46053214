-- A consent lifts only its recorder's secrecy (issue 10).
--
-- 1. Each organisation keeps its own record of an individual: the name it was given and its
--    own protected-identity flag live on the registration, so registering a known number shows
--    nothing another organisation stored. The shared row keeps only the personnummer, which
--    ties the registrations to one person. Every case owner has a registration (opening a case
--    needs one); the insert below only repairs data written before that rule.
ALTER TABLE individual_registrations ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE individual_registrations ADD COLUMN protected_identity INTEGER NOT NULL DEFAULT 0;
UPDATE individual_registrations SET
    name = (SELECT i.name FROM individuals i WHERE i.id = individual_registrations.individual_id),
    protected_identity = (SELECT i.protected_identity FROM individuals i WHERE i.id = individual_registrations.individual_id);
INSERT INTO individual_registrations (individual_id, organisation_id, registered_by, registered_at, name, protected_identity)
    SELECT c.individual_id, c.owner_organisation_id, MIN(c.responsible_user_id), MIN(c.created_at), i.name, i.protected_identity
    FROM cases c JOIN individuals i ON i.id = c.individual_id
    WHERE 1 = 1
    GROUP BY c.individual_id, c.owner_organisation_id, i.name, i.protected_identity
    ON CONFLICT (individual_id, organisation_id) DO NOTHING;
ALTER TABLE individuals DROP COLUMN name;
ALTER TABLE individuals DROP COLUMN protected_identity;

-- What a case shows of its individual: the owning organisation's own record.
CREATE VIEW individual_records AS
    SELECT r.individual_id AS id, r.organisation_id, i.personnummer, r.name, r.protected_identity
    FROM individual_registrations r JOIN individuals i ON i.id = r.individual_id;

-- 2. A consent another party recorded for its own part, confirming (referencing the same
--    document as) this one. Consents already stored keep their recorder and so keep working
--    for the recorder's own cases; for other organisations' cases they now grant nothing until
--    the owner confirms them.
ALTER TABLE consents ADD COLUMN confirms_consent_id TEXT REFERENCES consents (id);
CREATE INDEX consents_confirms_idx ON consents (confirms_consent_id);
