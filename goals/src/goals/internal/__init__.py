"""What other FiuFit services ask of goals about a user as a whole: erasure and export."""
