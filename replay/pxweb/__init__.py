"""The PxWebApi 2 emulator: SCB's API on loopback, answering from SCB's recorded answers."""
