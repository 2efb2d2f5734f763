-- migrate:up
-- The FiuFit catalogue (6 training types, 3 difficulties, 25 exercises), generated once from
-- the shared catalogues.json and committed here so the service stands alone.
INSERT INTO training_types (id, name) VALUES
    (1, 'Cardio'),
    (2, 'Leg'),
    (3, 'Arm'),
    (4, 'Chest'),
    (5, 'Back'),
    (6, 'Abdomen');

INSERT INTO difficulties (id, name) VALUES
    (1, 'Easy'),
    (2, 'Medium'),
    (3, 'Hard');

INSERT INTO exercises (id, name, type_id, unit) VALUES
    (1, 'Walk', 1, 'metre'),
    (2, 'Walk', 1, 'second'),
    (3, 'Run', 1, 'metre'),
    (4, 'Run', 1, 'second'),
    (5, 'Jumping jacks', 1, NULL),
    (6, 'Squat', 2, NULL),
    (7, 'Lunge', 2, NULL),
    (8, 'Deadlift', 2, NULL),
    (9, 'Bicep curl', 3, NULL),
    (10, 'Hammer curl', 3, NULL),
    (11, 'Tricep dips', 3, NULL),
    (12, 'Close grip push up', 3, NULL),
    (13, 'Push-down', 3, NULL),
    (14, 'Lateral raise', 3, NULL),
    (15, 'Front raise', 3, NULL),
    (16, 'Arnold press', 3, NULL),
    (17, 'Push up', 4, NULL),
    (18, 'Bench press', 4, NULL),
    (19, 'Fly', 4, NULL),
    (20, 'Pull-down', 5, NULL),
    (21, 'Pull-up', 5, NULL),
    (22, 'Bent-over row', 5, NULL),
    (23, 'Crunch', 6, NULL),
    (24, 'Bicycle crunch', 6, NULL),
    (25, 'Plank', 6, NULL);

-- migrate:down
DELETE FROM exercises;
DELETE FROM difficulties;
DELETE FROM training_types;
