package io.evasan.nsc.api;

/**
 * What happens to a LUN's ownership when controllers fail and come back (the EVA's presentation modes).
 * <ul>
 * <li>{@code NO_PREFERENCE}: the survivor takes the LUN on a failure and keeps it.</li>
 * <li>{@code FAILOVER_ONLY}: the LUN starts on its preferred controller; the survivor takes it on a failure and
 *     keeps it when the preferred controller returns.</li>
 * <li>{@code FAILOVER_FAILBACK}: as failover only, and the LUN moves back to its preferred controller once that
 *     controller is back and resynchronised.</li>
 * </ul>
 */
public enum FailoverMode {
    NO_PREFERENCE, FAILOVER_ONLY, FAILOVER_FAILBACK
}
