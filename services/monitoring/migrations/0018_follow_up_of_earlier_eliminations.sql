-- Objects eliminated before the county decision scheduled the follow-up
-- (回头看) itself have no follow-up date and no next_due_at, so the deadline
-- scheduler never read them. The domain now derives their follow-up from
-- the elimination decision (lifecycle::PendingFollowUp: follow_up_days
-- after it, unless one was recorded since); mark every eliminated object
-- the scheduler does not look at as due now, so it reads each once and
-- either alerts the overdue follow-up or sets next_due_at to its date.
-- Objects with nothing pending (a follow-up recorded, or already alerted)
-- are read once and left with next_due_at NULL again.
UPDATE monitoring_objects
   SET next_due_at = now()
 WHERE state = 'risk_eliminated'
   AND next_due_at IS NULL;
