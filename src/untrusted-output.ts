// Text a program, an image or a host wrote (a failed container's logs and healthcheck outputs),
// printed to the job log. Every such print goes through here, so that the guard against text
// acting as a workflow command (a line starting with `::`) is made in one place.
import * as core from '@actions/core'

/** Prints text that did not come from the action itself to the job log. */
export function printUntrusted(text: string): void {
  core.info(text)
}
