/**
 * Rule sources and the errors found in them (file, line, column), shared by the sandbox that
 * checks sources and the host that compiles them, so neither depends on the other.
 */
package io.fogwise.rules.source;
