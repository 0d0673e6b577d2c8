/** A response as the validator sees it: status, headers and the body as received. */
export interface Answer {
  status: number;
  headers: Headers;
  bodyText: string;
}

/** Reads a fetch Response into an Answer (consumes the body). */
export async function answerFromResponse(response: Response): Promise<Answer> {
  return { status: response.status, headers: response.headers, bodyText: await response.text() };
}
