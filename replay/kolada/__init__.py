"""The Kolada v3 emulator: Kolada's API on loopback, answering from the real values in shared/kolada."""
