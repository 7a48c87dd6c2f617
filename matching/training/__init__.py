"""Training (技能培训): courses, their sessions, enrolment and completion. Completion certifies a
skill level on her profile; training is free (the fee waived and recorded) for priority groups."""
