// Placeholder: replaced with PGlite template preparation.
export default async function globalSetup(): Promise<void> {}
