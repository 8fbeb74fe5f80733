/*
 * Name lists for synthetic people and places. They deliberately include accents, apostrophes,
 * hyphens and spaces, which real rosters carry and which importers and email rules must survive.
 */

// prettier-ignore
export const GIVEN_NAMES: readonly string[] = [
  'Aaliyah', 'Aaron', 'Abigail', 'Adam', 'Adrian', 'Aiden', 'Aisha', 'Alejandro', 'Alexander', 'Alexis',
  'Alice', 'Amara', 'Amelia', 'Ana', 'André', 'Andrew', 'Angel', 'Anthony', 'Aria', 'Ariana',
  'Ava', 'Avery', 'Benjamin', 'Brandon', 'Brianna', 'Brooklyn', 'Caleb', 'Camila', 'Carlos', 'Caroline',
  'Carter', 'Charlotte', 'Chloé', 'Christopher', 'Claire', 'Daniel', 'David', 'Deja', 'Diego', 'Dylan',
  'Elijah', 'Elena', 'Eli', 'Elizabeth', 'Ella', 'Emily', 'Emma', 'Ethan', 'Evelyn', 'Fatima',
  'Gabriel', 'Gabriela', 'Grace', 'Hailey', 'Hannah', 'Harper', 'Hiroshi', 'Hunter', 'Isaac', 'Isabella',
  'Jack', 'Jackson', 'Jacob', 'Jada', 'James', 'Jasmine', 'Jayden', 'Jesús', 'John', 'Jordan',
  'José', 'Joseph', 'Joshua', 'Juan', 'Julia', 'Kai', 'Kayla', 'Kevin', 'Layla', 'Leah',
  'Liam', 'Lily', 'Logan', 'Lucas', 'Luis', 'Madison', 'Malik', 'María', 'Mason', 'Mateo',
  'Matthew', 'Maya', 'Mia', 'Michael', 'Mohammed', 'Nadia', 'Naomi', 'Nathan', 'Noah', 'Nora',
  'Oliver', 'Olivia', 'Omar', 'Priya', 'Rafael', 'Renée', 'Riley', 'Ryan', 'Samuel', 'Santiago',
  'Sarah', 'Sebastian', 'Sofia', 'Sofía', 'Sophia', 'Taylor', 'Thomas', 'Tyler', 'Valentina', 'Victoria',
  'Wei', 'William', 'Xavier', 'Yusuf', 'Zoe', 'Zoë',
];

// prettier-ignore
export const FAMILY_NAMES: readonly string[] = [
  'Adams', 'Ahmed', 'Allen', 'Alvarez', 'Anderson', 'Baker', 'Banks', 'Bennett', 'Brooks', 'Brown',
  'Campbell', 'Carter', 'Castillo', 'Chen', 'Clark', 'Collins', 'Cook', 'Cooper', 'Cruz', 'Davis',
  'De La Cruz', 'Diaz', 'Edwards', 'Evans', 'Flores', 'Foster', 'García', 'Garcia', 'Gomez', 'Gonzalez',
  'Gray', 'Green', 'Gupta', 'Hall', 'Harris', 'Hernandez', 'Hill', 'Hughes', 'Jackson', 'James',
  'Jenkins', 'Johnson', 'Jones', 'Kelly', 'Khan', 'Kim', 'King', 'Le', 'Lee', 'Lewis',
  'Lopez', 'López-Rivera', 'Martin', 'Martinez', 'McDonald', 'Mendoza', 'Miller', 'Mitchell', 'Moore', 'Morales',
  'Morgan', 'Morris', 'Murphy', 'Myers', 'Nelson', 'Nguyen', "O'Brien", "O'Connor", 'Ortiz', 'Parker',
  'Patel', 'Perez', 'Peterson', 'Phillips', 'Price', 'Ramirez', 'Reed', 'Reyes', 'Richardson', 'Rivera',
  'Roberts', 'Robinson', 'Rodriguez', 'Rogers', 'Ross', 'Russell', 'Sanchez', 'Sanders', 'Schmidt', 'Scott',
  'Shah', 'Singh', 'Smith', 'Smith-Jones', 'Stewart', 'Sullivan', 'Tanaka', 'Taylor', 'Thomas', 'Thompson',
  'Torres', 'Tran', 'Turner', 'Van der Berg', 'Walker', 'Ward', 'Washington', 'Watson', 'White', 'Williams',
  'Wilson', 'Wong', 'Wright', 'Yang', 'Young', 'Zhang',
];

/** Most people have none; those who do get one of these. */
export const MIDDLE_NAMES: readonly string[] = [
  'Anne',
  'Grace',
  'James',
  'Lee',
  'Lynn',
  'Marie',
  'Michael',
  'Rose',
  'Ray',
  'Elizabeth',
  'Jean',
  'Alexander',
];

export const TOWN_NAMES: readonly string[] = [
  'Springfield',
  'Riverside',
  'Fairview',
  'Greenville',
  'Madison',
  'Franklin',
  'Clinton',
  'Georgetown',
  'Salem',
  'Arlington',
  'Ashland',
  'Bristol',
  'Dover',
  'Oakdale',
  'Milford',
  'Lakewood',
];

/** First halves of school names; combined with SCHOOL_NAME_SUFFIXES for thousands of schools. */
// prettier-ignore
export const SCHOOL_NAME_PREFIXES: readonly string[] = [
  'Oak', 'Maple', 'Cedar', 'Pine', 'Willow', 'Aspen', 'Birch', 'Elm', 'Hickory', 'Magnolia',
  'Sycamore', 'Cypress', 'Spruce', 'Juniper', 'Laurel', 'Walnut', 'Chestnut', 'Cottonwood', 'Redwood', 'Sequoia',
  'Eagle', 'Falcon', 'Hawk', 'Heron', 'Sunrise', 'Sunset', 'Meadow', 'Prairie', 'River', 'Lake',
  'Mountain', 'Valley', 'Canyon', 'Mesa', 'Harbor', 'Bay', 'Brook', 'Spring', 'Stone', 'Silver',
];

// prettier-ignore
export const SCHOOL_NAME_SUFFIXES: readonly string[] = [
  'Ridge', 'Grove', 'Park', 'Hills', 'Creek', 'View', 'Crest', 'Hollow', 'Glen', 'Heights',
  'Point', 'Woods', 'Field', 'Trail', 'Springs', 'Landing', 'Vista', 'Meadows', 'Run', 'Bend',
  'Crossing', 'Gate', 'Haven', 'Shore', 'Valley',
];

/**
 * The email/username form of a name: lowercase ASCII letters and hyphens. Accents are folded
 * (José -> jose) and spaces and apostrophes dropped (O'Brien -> obrien, De La Cruz -> delacruz),
 * as district account provisioning does.
 */
export function slugifyName(name: string): string {
  return name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z-]/g, '');
}
