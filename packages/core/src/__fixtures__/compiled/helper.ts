export const suffix: string = '!';
