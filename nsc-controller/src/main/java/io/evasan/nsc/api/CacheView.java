package io.evasan.nsc.api;

/** The controller's write-back cache now: dirty bytes, capacity, and bytes destaged since open. */
public record CacheView(long dirtyBytes, long capacityBytes, double destagedBytes) {
}
