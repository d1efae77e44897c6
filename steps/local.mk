# steps/: one file per step module (engine issue).
