/** Generator names: they appear in conditions (after ':') and in run ids and file names. */
export const GENERATOR_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;
