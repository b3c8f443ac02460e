package main

import (
	"encoding/json"
	"log"
	"net/http"
	"runtime"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"path": r.URL.Path, "os": runtime.GOOS})
	})
	log.Fatal(http.ListenAndServe(":8090", nil))
}
