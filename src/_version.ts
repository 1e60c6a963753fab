// Kept equal to package.json and kitlab/_version.py; a jest test and a pytest test enforce it.
export const FRONTEND_VERSION = '0.1.0';
