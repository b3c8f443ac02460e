package main

import (
	"flag"
	"fmt"
)

func main() {
	check := flag.String("check", "all", "what to check")
	flag.Parse()
	fmt.Printf("probe: checking %s (%d more arguments)\n", *check, flag.NArg())
}
