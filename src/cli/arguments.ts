import { InvalidArgumentError } from "commander";

/**
 * A commander argument parser from a function that throws on bad input: its message becomes the usage error
 * (commander prints it and the command exits 2).
 */
export function argument<T>(parse: (value: string) => T): (value: string) => T {
  return (value) => {
    try {
      return parse(value);
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message);
    }
  };
}
