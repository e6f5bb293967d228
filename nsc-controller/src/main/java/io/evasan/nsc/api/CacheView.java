package io.evasan.nsc.api;

/**
 * The controller's write-back cache now: dirty bytes, capacity, bytes destaged since open, and why
 * its mirror partner was given up ({@code mirrorLost}: null while mirroring or without a partner;
 * once set, writes are acknowledged unmirrored until the two-controller work re-joins a partner).
 */
public record CacheView(long dirtyBytes, long capacityBytes, double destagedBytes, String mirrorLost) {
}
