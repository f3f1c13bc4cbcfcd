// Composition root; the verbs are wired in Cli/.
return 0;
