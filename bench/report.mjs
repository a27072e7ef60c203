// One JSON line per figure, the format every benchmark prints.
export function report(name, value, unit, goal) {
  console.log(JSON.stringify({ name, value: Number(value.toFixed(3)), unit, goal }));
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
