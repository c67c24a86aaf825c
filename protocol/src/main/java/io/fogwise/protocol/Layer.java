package io.fogwise.protocol;

/** The paper's three layers; agents and Swarm nodes are labelled with one. */
public enum Layer {
  CLOUD,
  FOG,
  EDGE
}
