"""Worker profiles (务工人员): skills, priority groups, preferences, consent."""
