// Sibling packages resolve to their TypeScript sources under test (the "@flowenv/source" export
// condition), so unit tests never need a build first.
export const sourceConditions = {
  resolve: { conditions: ['@flowenv/source'] },
  ssr: { resolve: { conditions: ['@flowenv/source'] } },
};
