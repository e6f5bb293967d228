package io.evasan.nsc.api;

/** A range of 512-byte logical blocks of a LUN or snapshot: {@code blocks} blocks from {@code firstLba}. */
public record LbaRange(long firstLba, long blocks) {
}
